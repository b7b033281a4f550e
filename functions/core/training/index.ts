/** Model training maths: pure TypeScript, no I/O. */
export * from './matrix.js';
export * from './random.js';
export * from './binning.js';
export * from './tree-ensemble.js';
export * from './gbdt.js';
export * from './gbdt-model.js';
export * from './logistic.js';
export * from './isolation-forest.js';
export * from './calibration.js';
export * from './metrics.js';
export * from './split.js';
export * from './search.js';
export * from './synthetic.js';
