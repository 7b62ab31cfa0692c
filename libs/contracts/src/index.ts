/** Public entry of the contracts library: generated wire types, codecs, ids, validation, the error family. */
export * from './gen/msx/v1/common_pb.js';
export * from './gen/msx/v1/intel_pb.js';
export * from './gen/msx/v1/control_pb.js';
export * from './gen/msx/v1/envelope_pb.js';
export * from './gen/msx/v1/audit_pb.js';
export * from './errors.js';
export * from './ids.js';
export * from './codec.js';
export * from './payload-kinds.js';
export * from './principals.js';
export * from './audit-queries.js';
export * from './topic-tokens.js';
export * from './validation/index.js';
export * from './labels.js';
export * from './checkpoint.js';
export * from './delivery-voucher.js';
export * from './purposes.js';
