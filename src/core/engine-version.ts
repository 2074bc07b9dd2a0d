/** The engine's version, as artifacts and `--version` report it (and the parse cache keys on it). */
export const ENGINE_VERSION = '0.1.0';
