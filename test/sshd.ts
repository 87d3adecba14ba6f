/** Real OpenSSH servers for tests: see bench/sshd.ts, which the compiled benchmark shares. */
export { freePort, startSshdFleet, type Sshd, type SshdFleet } from '../bench/sshd.js';
