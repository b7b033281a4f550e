/**
 * Merges several single-input ONNX models into one graph with one output per model, so that serving all of
 * them costs one session.run(): ONNX Runtime's fixed per-run overhead (tens of microseconds from Node) is
 * larger than the tree traversal of one invoice, so three runs cost about three times one.
 */
import { decodeOnnxModel, encodeOnnxModelMessage } from './onnx-proto.js';
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

type Obj = Record<string, unknown>;

/**
 * Merges `parts` (each with the same single input name and shape) into one model. Every intermediate tensor
 * and node is prefixed with `<part name>__`; the chosen output of each part becomes the graph output
 * `<part name>`. Throws Error when the parts disagree on their input or a chosen output does not exist.
 */
export function mergeOnnxModels(parts: readonly MergePart[], graphName = 'ledgerx_merged'): MergedModel {
  if (parts.length === 0) throw new Error('nothing to merge');
  const decoded = parts.map((p) => decodeOnnxModel(p.bytes));
  const graphs = decoded.map((m) => m.graph as Obj);
  const inputs = graphs.map((g) => (g.input as Obj[])[0]!);
  const inputName = String(inputs[0]!.name);
  for (const i of inputs) {
    if (String(i.name) !== inputName || JSON.stringify(i.type) !== JSON.stringify(inputs[0]!.type)) {
      throw new Error('merged models must share one input (name and shape)');
    }
  }
  const nodes: Obj[] = [];
  const initializers: Obj[] = [];
  const outputs: Obj[] = [];
  parts.forEach((part, k) => {
    const g = graphs[k]!;
    const out = (g.output as Obj[]).find((o) => o.name === part.output);
    if (!out) throw new Error(`${part.name}: no output named ${part.output}`);
    // The chosen output keeps the part's name; every other tensor gets a prefix so parts cannot collide.
    const rename = (t: string): string => (t === inputName ? inputName : t === part.output ? part.name : `${part.name}__${t}`);
    for (const n of (g.node as Obj[] | undefined) ?? []) {
      nodes.push({
        ...n,
        name: `${part.name}__${String(n.name ?? '')}`,
        input: ((n.input as string[] | undefined) ?? []).map(rename),
        output: ((n.output as string[] | undefined) ?? []).map(rename),
      });
    }
    for (const t of (g.initializer as Obj[] | undefined) ?? []) initializers.push({ ...t, name: rename(String(t.name)) });
    outputs.push({ ...out, name: part.name });
  });
  const first = decoded[0]!;
  const bytes = encodeOnnxModelMessage({
    ir_version: first.ir_version,
    opset_import: first.opset_import,
    producer_name: 'ledgerx',
    producer_version: '1',
    model_version: 1,
    doc_string: `LedgerX merged serving graph: ${parts.map((p) => p.name).join(', ')}`,
    graph: { name: graphName, node: nodes, initializer: initializers, input: [inputs[0]], output: outputs },
    metadata_props: [{ key: 'parts', value: parts.map((p) => `${p.name}=${sha256Hex(p.bytes)}`).join(',') }],
  });
  return { bytes, sha256: sha256Hex(bytes), inputName, outputs: parts.map((p) => p.name) };
}
