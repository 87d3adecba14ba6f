// The secret path grammar moved to the contract (the web's run form checks secret options with
// it); this path stays for the importers in other areas until they import the contract directly.
export * from '../../contract/secret-path.js';
