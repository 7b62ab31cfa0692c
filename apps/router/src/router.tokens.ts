/** Injection token of the loaded directory. */
export const DIRECTORY = Symbol('MSX_DIRECTORY');
