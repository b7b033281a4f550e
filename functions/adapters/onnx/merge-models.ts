/**
 * Merges several single-input ONNX models into one graph with one output per model, so that serving all of
 * them costs one run: ONNX Runtime's fixed cost per run (about 6 µs natively, more through the public API)
 * is about what the tree traversal of one invoice costs, so three runs cost about three times one.
 *
 * Why on the protobuf wire and not through protobufjs messages: the merge only renames strings (node, tensor
 * and output names), while decoding turns every int64 of the tree attributes into numbers and back (43 ms
 * decode + 43 ms encode for the shipped models, on every cold start). Here every field that is not renamed
 * (attributes, shapes, tensor data) is copied as bytes: about 1 ms.
 */
import protobuf from 'protobufjs';
import { sha256Hex } from './artifact.js';

export interface MergePart {
  /** Output name in the merged graph (also the prefix of this part's node and tensor names). */
  name: string;
  /** The part's model bytes (as exported by export-*.ts). */
  bytes: Uint8Array;
  /** Which output of the part to expose. */
  output: string;
}

export interface MergedModel {
  bytes: Uint8Array;
  sha256: string;
  inputName: string;
  /** Output names, in the order of `parts`. */
  outputs: string[];
}

/** Field numbers from onnx.proto (github.com/onnx/onnx, onnx/onnx.proto). */
const Model = { irVersion: 1, producerName: 2, producerVersion: 3, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const Graph = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
const Node = { input: 1, output: 2, name: 3 } as const;
const Tensor = { name: 8 } as const;
const ValueInfo = { name: 1 } as const;
const OpsetId = { domain: 1, version: 2 } as const;
const Entry = { key: 1, value: 2 } as const;

const VARINT = 0;
const BYTES = 2;

/** One top-level field of a message as found on the wire: varints as numbers, everything else as its bytes. */
interface WireField {
  no: number;
  wire: number;
  value: number | Uint8Array;
}

const utf8 = new TextDecoder();

/** protobufjs returns int64 varints as Long objects when the `long` package is present. */
function toNumber(v: number | protobuf.Long): number {
  return typeof v === 'number' ? v : protobuf.util.LongBits.from(v).toNumber();
}

function readFields(bytes: Uint8Array): WireField[] {
  const r = protobuf.Reader.create(bytes);
  const fields: WireField[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === VARINT) fields.push({ no, wire, value: toNumber(r.int64()) });
    else if (wire === BYTES) fields.push({ no, wire, value: r.bytes() });
    // Every field of the messages read here (model, graph, node, tensor, value info, opset id) is a varint or
    // length-delimited; fixed-width values only occur inside attributes, which are copied whole.
    else throw new Error(`unexpected protobuf wire type ${wire} in field ${no}`);
  }
  return fields;
}

function writeFields(fields: readonly WireField[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const f of fields) {
    w.uint32((f.no << 3) | f.wire);
    if (f.wire === VARINT) w.int64(f.value as number);
    else w.bytes(f.value as Uint8Array);
  }
  return w.finish();
}

const str = (no: number, s: string): WireField => ({ no, wire: BYTES, value: new TextEncoder().encode(s) });
const msg = (no: number, fields: readonly WireField[]): WireField => ({ no, wire: BYTES, value: writeFields(fields) });
const int = (no: number, v: number): WireField => ({ no, wire: VARINT, value: v });
const textOf = (f: WireField): string => utf8.decode(f.value as Uint8Array);
const fieldText = (fields: readonly WireField[], no: number): string | undefined => {
  const f = fields.find((x) => x.no === no);
  return f ? textOf(f) : undefined;
};

/** Rewrites the string fields numbered in `names` of a message through `rename`; every other field is copied. */
function renameIn(bytes: Uint8Array, names: readonly number[], rename: (s: string, no: number) => string): Uint8Array {
  return writeFields(readFields(bytes).map((f) => (names.includes(f.no) && f.wire === BYTES ? str(f.no, rename(textOf(f), f.no)) : f)));
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Merges `parts` (each with the same single input name and shape) into one model. Every intermediate tensor
 * and node is prefixed with `<part name>__`; the chosen output of each part becomes the graph output
 * `<part name>`. Throws Error when the parts disagree on their input or a chosen output does not exist.
 */
export function mergeOnnxModels(parts: readonly MergePart[], graphName = 'ledgerx_merged'): MergedModel {
  if (parts.length === 0) throw new Error('nothing to merge');
  const models = parts.map((p) => readFields(p.bytes));
  const graphs = models.map((m) => readFields(m.find((f) => f.no === Model.graph)?.value as Uint8Array ?? new Uint8Array()));
  const inputs = graphs.map((g) => g.filter((f) => f.no === Graph.input));
  const input = inputs[0]![0];
  if (!input || inputs.some((i) => i.length !== 1 || !sameBytes(i[0]!.value as Uint8Array, input.value as Uint8Array))) {
    throw new Error('merged models must share one input (name and shape)');
  }
  const inputName = fieldText(readFields(input.value as Uint8Array), ValueInfo.name) ?? '';

  const graph: WireField[] = [str(Graph.name, graphName)];
  const initializers: WireField[] = [];
  const outputs: WireField[] = [];
  parts.forEach((part, k) => {
    // The chosen output keeps the part's name; every other tensor gets a prefix so parts cannot collide.
    const rename = (t: string): string => (t === inputName ? inputName : t === part.output ? part.name : `${part.name}__${t}`);
    const g = graphs[k]!;
    for (const f of g) {
      if (f.no === Graph.node) {
        graph.push({ ...f, value: renameIn(f.value as Uint8Array, [Node.input, Node.output, Node.name], (s, no) => (no === Node.name ? `${part.name}__${s}` : rename(s))) });
      } else if (f.no === Graph.initializer) {
        initializers.push({ ...f, value: renameIn(f.value as Uint8Array, [Tensor.name], rename) });
      }
    }
    const out = g.find((f) => f.no === Graph.output && fieldText(readFields(f.value as Uint8Array), ValueInfo.name) === part.output);
    if (!out) throw new Error(`${part.name}: no output named ${part.output}`);
    outputs.push({ ...out, value: renameIn(out.value as Uint8Array, [ValueInfo.name], () => part.name) });
  });
  graph.push(...initializers, input, ...outputs);

  const irVersion = Math.max(...models.map((m) => Number(m.find((f) => f.no === Model.irVersion)?.value ?? 0)));
  const bytes = writeFields([
    int(Model.irVersion, irVersion),
    ...unionOpsets(models.map((m) => m.filter((f) => f.no === Model.opsetImport))),
    str(Model.producerName, 'ledgerx'),
    str(Model.producerVersion, '1'),
    int(Model.modelVersion, 1),
    str(Model.docString, `LedgerX merged serving graph: ${parts.map((p) => p.name).join(', ')}`),
    msg(Model.graph, graph),
    msg(Model.metadataProps, [str(Entry.key, 'parts'), str(Entry.value, parts.map((p) => `${p.name}=${sha256Hex(p.bytes)}`).join(','))]),
  ]);
  return { bytes, sha256: sha256Hex(bytes), inputName, outputs: parts.map((p) => p.name) };
}

/** Every domain any part imports, at the highest version a part asks for (parts may differ: ai.onnx.ml only vs ai.onnx too). */
function unionOpsets(lists: readonly WireField[][]): WireField[] {
  const byDomain = new Map<string, number>();
  for (const f of lists.flat()) {
    const fields = readFields(f.value as Uint8Array);
    const domain = fieldText(fields, OpsetId.domain) ?? '';
    const version = Number(fields.find((x) => x.no === OpsetId.version)?.value ?? 0);
    byDomain.set(domain, Math.max(version, byDomain.get(domain) ?? 0));
  }
  return [...byDomain].map(([domain, version]) => msg(Model.opsetImport, [str(OpsetId.domain, domain), int(OpsetId.version, version)]));
}
