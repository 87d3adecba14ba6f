// The user-pattern engine moved to the contract (the web's run form checks option patterns with
// it); this path stays for the importers in other areas until they import the contract directly.
export * from '../contract/regex.js';
