/**
 * The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto, field numbers unchanged) needed to write
 * classical-ML models, encoded with protobufjs. No npm package ships onnx.proto, so the schema is written here.
 */
import protobuf from 'protobufjs';

const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; }
  optional string name = 1;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

let modelType: protobuf.Type | null = null;

function getModelType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** ONNX TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type Attribute = Record<string, unknown> & { name: string; type: number };

const utf8 = new TextEncoder();

export const attr = {
  float: (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f }),
  int: (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i }),
  string: (name: string, s: string): Attribute => ({ name, type: AttributeType.STRING, s: utf8.encode(s) }),
  floats: (name: string, floats: ArrayLike<number>): Attribute => ({ name, type: AttributeType.FLOATS, floats: Array.from(floats) }),
  ints: (name: string, ints: ArrayLike<number>): Attribute => ({ name, type: AttributeType.INTS, ints: Array.from(ints) }),
  strings: (name: string, strings: readonly string[]): Attribute => ({ name, type: AttributeType.STRINGS, strings: strings.map((s) => utf8.encode(s)) }),
};

export interface OnnxNode {
  op_type: string;
  domain: '' | 'ai.onnx.ml';
  name: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}

export interface TensorInfo {
  name: string;
  elemType: number;
  /** A number is a fixed size, a string a symbolic one (the batch dimension). */
  shape: Array<number | string>;
}

export interface OnnxGraphSpec {
  name: string;
  nodes: OnnxNode[];
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Constant float tensors (name, dims, values). */
  initializers?: Array<{ name: string; dims: number[]; values: number[] }>;
  docString?: string;
  metadata?: Record<string, string>;
}

/** IR version 8 and opset 17 load in every onnxruntime release since 1.14. */
export const IR_VERSION = 8;
export const DEFAULT_OPSET = 17;
/** TreeEnsembleClassifier/Regressor need an explicit ai.onnx.ml import of 1-4 (5 deprecates them). */
export const ML_OPSET = 3;

function valueInfo(t: TensorInfo): Record<string, unknown> {
  return {
    name: t.name,
    type: {
      tensor_type: {
        elem_type: t.elemType,
        shape: { dim: t.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/** Encodes a single-graph ModelProto. Throws when protobufjs rejects the message (a bug in the caller). */
export function encodeOnnxModel(spec: OnnxGraphSpec): Uint8Array {
  const type = getModelType();
  const message = {
    ir_version: IR_VERSION,
    opset_import: [
      { domain: '', version: DEFAULT_OPSET },
      { domain: 'ai.onnx.ml', version: ML_OPSET },
    ],
    producer_name: 'ledgerx',
    producer_version: '1',
    model_version: 1,
    doc_string: spec.docString ?? '',
    graph: {
      name: spec.name,
      node: spec.nodes,
      initializer: (spec.initializers ?? []).map((t) => ({ name: t.name, dims: t.dims, data_type: DataType.FLOAT, float_data: t.values })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
    metadata_props: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const problem = type.verify(message);
  if (problem) throw new Error(`invalid ONNX model message: ${problem}`);
  return type.encode(type.fromObject(message)).finish();
}

/**
 * Encodes a ModelProto given as a plain object (snake_case fields, as decodeOnnxModel returns them), e.g. a
 * graph assembled from decoded models. Throws when protobufjs rejects the message.
 */
export function encodeOnnxModelMessage(message: Record<string, unknown>): Uint8Array {
  const type = getModelType();
  const problem = type.verify(message);
  if (problem) throw new Error(`invalid ONNX model message: ${problem}`);
  return type.encode(type.fromObject(message)).finish();
}

/** Decodes model bytes into a plain object (snake_case fields; bytes as Uint8Array), for inspection and tests. */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  const type = getModelType();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as Record<string, unknown>;
}
