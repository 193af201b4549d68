// Shared test helpers follow in other files.
