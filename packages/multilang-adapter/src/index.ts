// Filled by its own issue; see README.md.
export {};
