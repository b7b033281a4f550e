/** ONNX export (protobufjs, hand-written onnx.proto subset) and serving (onnxruntime-node). */
export * from './artifact.js';
export * from './onnx-proto.js';
export * from './export-gbdt.js';
export * from './export-logistic.js';
export * from './export-isolation-forest.js';
export * from './predictor.js';
export * from './merge-models.js';
