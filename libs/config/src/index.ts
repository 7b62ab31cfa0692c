/** Public entry of the config library: validated-once configuration (STYLE §6). */
export * from './config.js';
export * from './common.js';
