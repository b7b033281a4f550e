/**
 * Exact rewrites of a convolutional network's graph that onnxruntime's own optimizer does not make, applied to
 * the model bytes before a session loads them. Written for PP-OCRv4 (paddle2onnx output): each of its LCNetV3
 * blocks is a convolution, a scalar affine (x * s + b), a hard-swish spelled as four operators
 * (x * clip(x + 3, 0, 6) / 6) and another scalar affine. onnxruntime 1.30 folds none of them (its Conv+Mul and
 * Conv+Add fusions skip one-element scales), and those elementwise passes over every activation took 40 % of
 * both networks' time on one thread. Hand-written because no npm package rewrites ONNX graphs.
 *
 * Every rewrite is algebra on constants, so the network computes the same function (to float rounding):
 * - a scalar Mul or Add after a Conv goes into its weights and bias;
 * - the four-operator hard-swish becomes x * HardSigmoid(x) with alpha 1/6 and beta 1/2 (opset 6);
 * - a scalar affine before a 1x1 Conv without padding goes into its weights and bias; before a padded Conv only
 *   the scale does (the bias would differ on the zero padding), and the Add that stays is divided by it.
 */
import { decodeOnnxModel, encodeOnnxModelMessage } from './onnx-proto.js';

const FLOAT = 1;

interface Tensor { dims?: number[]; data_type?: number; float_data?: number[]; raw_data?: Uint8Array; name?: string }
interface Attribute { name: string; type?: number; f?: number; i?: number; s?: Uint8Array; ints?: number[]; t?: Tensor }
interface Node { input?: string[]; output?: string[]; name?: string; op_type?: string; attribute?: Attribute[] }
interface Graph { node: Node[]; initializer?: Tensor[]; output?: Array<{ name: string }> }

/** How many operators each rewrite removed (the rewritten model is returned beside it). */
export interface SimplifyReport { convAffinesFolded: number; hardSwishes: number; affinesIntoConv: number; removedNodes: number }

export function simplifyGraph(bytes: Uint8Array): { bytes: Uint8Array; report: SimplifyReport } {
  const model = decodeOnnxModel(bytes) as { graph: Graph };
  const graph = model.graph;
  const before = graph.node.length;
  const r: Rewrite = { graph, constants: constantTensors(graph), index: new GraphIndex(graph), values: new Map() };
  const report = {
    convAffinesFolded: foldAffinesAfterConv(r),
    hardSwishes: fuseHardSwish(r),
    affinesIntoConv: foldAffinesBeforeConv(r),
    removedNodes: 0,
  };
  for (const [t, values] of r.values) encodeFloats(t, values);
  dropUnused(graph);
  report.removedNodes = before - graph.node.length;
  return { bytes: encodeOnnxModelMessage(model as unknown as Record<string, unknown>), report };
}

/** Initializers and Constant nodes' values by name (paddle2onnx writes most weights as Constant nodes). */
function constantTensors(graph: Graph): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const t of graph.initializer ?? []) if (t.name) out.set(t.name, t);
  for (const n of graph.node) {
    const value = n.op_type === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (value && n.output?.[0]) out.set(n.output[0], value);
  }
  return out;
}

function decodeFloats(t: Tensor): Float32Array | undefined {
  if ((t.data_type ?? FLOAT) !== FLOAT) return undefined;
  if (t.float_data?.length) return Float32Array.from(t.float_data);
  if (!t.raw_data) return new Float32Array(0);
  // A copy: the decoded bytes are a view into the model buffer, not necessarily 4-byte aligned.
  return new Float32Array(Uint8Array.prototype.slice.call(t.raw_data).buffer);
}

function encodeFloats(t: Tensor, values: Float32Array): void {
  t.float_data = [];
  t.raw_data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * Who reads and who writes each value, kept current as nodes are rewired (rebuilding it after each rewrite cost
 * most of the load time).
 */
class GraphIndex {
  private readonly readers = new Map<string, Node[]>();
  private readonly writers = new Map<string, Node>();
  private readonly outputs: Set<string>;

  constructor(private readonly graph: Graph) {
    this.outputs = new Set((graph.output ?? []).map((o) => o.name));
    for (const n of graph.node) {
      for (const i of n.input ?? []) this.read(i, n);
      for (const o of n.output ?? []) this.writers.set(o, n);
    }
  }

  /** The one node reading `name`, if exactly one does and it is not a graph output. */
  soleReader(name: string): Node | undefined {
    const r = this.readers.get(name) ?? [];
    return r.length === 1 && !this.outputs.has(name) ? r[0] : undefined;
  }

  writer(name: string): Node | undefined {
    return this.writers.get(name);
  }

  setInput(node: Node, slot: number, name: string): void {
    node.input ??= [];
    if (node.input[slot] !== undefined) this.unread(node.input[slot], node);
    node.input[slot] = name;
    this.read(name, node);
  }

  setInputs(node: Node, names: string[]): void {
    for (const i of node.input ?? []) this.unread(i, node);
    node.input = names;
    for (const i of names) this.read(i, node);
  }

  /** Deletes a one-output node: whatever read its output reads `input` instead. */
  bypass(node: Node, input: string): void {
    const output = node.output![0]!;
    for (const reader of [...(this.readers.get(output) ?? [])]) {
      reader.input!.forEach((name, slot) => { if (name === output) this.setInput(reader, slot, input); });
    }
    for (const i of node.input ?? []) this.unread(i, node);
    this.writers.delete(output);
    this.graph.node.splice(this.graph.node.indexOf(node), 1);
  }

  private read(name: string, node: Node): void {
    const r = this.readers.get(name);
    if (r) r.push(node);
    else this.readers.set(name, [node]);
  }

  private unread(name: string, node: Node): void {
    const r = this.readers.get(name) ?? [];
    r.splice(r.indexOf(node), 1);
  }
}

/** The other input of a two-input node, when one input is `name`. */
const otherInput = (n: Node, name: string) => (n.input?.[0] === name ? n.input[1] : n.input?.[1] === name ? n.input[0] : undefined);

/** The graph being rewritten, its constants and its index. */
interface Rewrite {
  graph: Graph;
  constants: Map<string, Tensor>;
  index: GraphIndex;
  /** Float constants decoded once and changed in place; written back into their tensors at the end. */
  values: Map<Tensor, Float32Array>;
}

function floats(r: Rewrite, t: Tensor): Float32Array | undefined {
  let v = r.values.get(t);
  if (!v) {
    v = decodeFloats(t);
    if (v) r.values.set(t, v);
  }
  return v;
}

function scalarOf(r: Rewrite, name: string | undefined): number | undefined {
  const t = name === undefined ? undefined : r.constants.get(name);
  // Sized from the dims first: most constants are weight tensors, not worth copying to learn they are not scalars.
  if (!t || (t.dims ?? []).reduce((n, d) => n * Number(d), 1) !== 1) return undefined;
  return floats(r, t)?.[0];
}

function addConstant(r: Rewrite, name: string, values: Float32Array): void {
  const t: Tensor = { name, dims: [values.length], data_type: FLOAT };
  r.values.set(t, values);
  r.graph.initializer = [...(r.graph.initializer ?? []), t];
  r.constants.set(name, t);
}

/** Weight and (created if absent) bias of a Conv, when both are float constants that nothing else reads. */
function convParameters(r: Rewrite, conv: Node): { weight: Tensor; bias: Tensor } | undefined {
  const [, weightName = '', biasName] = conv.input ?? [];
  const weight = r.constants.get(weightName);
  if (!weight || (weight.data_type ?? FLOAT) !== FLOAT || r.index.soleReader(weightName) !== conv) return undefined;
  if (biasName === undefined) {
    const name = `${conv.output![0]}.bias`;
    addConstant(r, name, new Float32Array(Number(weight.dims?.[0] ?? 0)));
    r.index.setInput(conv, 2, name);
    return { weight, bias: r.constants.get(name)! };
  }
  const bias = r.constants.get(biasName);
  return bias && (bias.data_type ?? FLOAT) === FLOAT && r.index.soleReader(biasName) === conv ? { weight, bias } : undefined;
}

function foldAffinesAfterConv(r: Rewrite): number {
  let folded = 0;
  for (const conv of r.graph.node.filter((n) => n.op_type === 'Conv')) {
    for (;;) {
      const output = conv.output![0]!;
      const next = r.index.soleReader(output);
      const value = next?.op_type === 'Mul' || next?.op_type === 'Add' ? scalarOf(r, otherInput(next, output)) : undefined;
      const params = value === undefined ? undefined : convParameters(r, conv);
      if (!params || value === undefined) break;
      const weight = floats(r, params.weight)!, bias = floats(r, params.bias)!;
      if (next!.op_type === 'Mul') {
        scale(weight, value);
        scale(bias, value);
      } else {
        for (let o = 0; o < bias.length; o++) bias[o]! += value;
      }
      r.index.bypass(next!, output);
      folded++;
    }
  }
  return folded;
}

/** The bounds of a Clip: attributes before opset 11, constant inputs after. */
function clipBounds(r: Rewrite, clip: Node): string {
  const attr = (name: string) => clip.attribute?.find((a) => a.name === name)?.f;
  return [attr('min') ?? scalarOf(r, clip.input?.[1]), attr('max') ?? scalarOf(r, clip.input?.[2])].join();
}

function fuseHardSwish(r: Rewrite): number {
  let fused = 0;
  for (const add of r.graph.node.filter((n) => n.op_type === 'Add')) {
    const x = add.input?.find((i) => scalarOf(r, otherInput(add, i)) === 3 && scalarOf(r, i) === undefined);
    const clip = x === undefined ? undefined : r.index.soleReader(add.output![0]!);
    if (clip?.op_type !== 'Clip' || clipBounds(r, clip) !== '0,6') continue;
    const mul = r.index.soleReader(clip.output![0]!);
    if (mul?.op_type !== 'Mul' || otherInput(mul, clip.output![0]!) !== x) continue;
    const div = r.index.soleReader(mul.output![0]!);
    if (div?.op_type !== 'Div' || div.input?.[0] !== mul.output![0] || scalarOf(r, div.input?.[1]) !== 6) continue;
    add.op_type = 'HardSigmoid';
    r.index.setInputs(add, [x!]);
    add.attribute = [{ name: 'alpha', type: 1, f: 1 / 6 }, { name: 'beta', type: 1, f: 0.5 }];
    r.index.bypass(clip, add.output![0]!);
    r.index.bypass(div, mul.output![0]!);
    fused++;
  }
  return fused;
}

function scale(values: Float32Array, by: number): void {
  for (let i = 0; i < values.length; i++) values[i]! *= by;
}

/** A 1x1 Conv that reads no padding: a constant added to its input is a constant added to its output. */
function isPointwise(conv: Node, weight: Tensor): boolean {
  const [, , kh, kw] = (weight.dims ?? []).map(Number);
  const pads = conv.attribute?.find((a) => a.name === 'pads')?.ints ?? [];
  const autoPad = conv.attribute?.find((a) => a.name === 'auto_pad')?.s;
  return kh === 1 && kw === 1 && pads.every((p) => Number(p) === 0) && (autoPad === undefined || ['NOTSET', 'VALID'].includes(new TextDecoder().decode(autoPad)));
}

function foldAffinesBeforeConv(r: Rewrite): number {
  let folded = 0;
  for (const conv of r.graph.node.filter((n) => n.op_type === 'Conv')) {
    const add = r.index.writer(conv.input![0]!);
    if (add?.op_type !== 'Add' || r.index.soleReader(add.output![0]!) !== conv) continue;
    const mul = add.input?.map((i) => r.index.writer(i)).find((m) => m?.op_type === 'Mul' && r.index.soleReader(m.output![0]!) === add);
    if (!mul) continue;
    const b = scalarOf(r, otherInput(add, mul.output![0]!));
    const h = mul.input?.find((i) => scalarOf(r, otherInput(mul, i)) !== undefined && scalarOf(r, i) === undefined);
    const s = h === undefined ? undefined : scalarOf(r, otherInput(mul, h));
    const params = b === undefined || s === undefined || s === 0 ? undefined : convParameters(r, conv);
    if (!params || b === undefined || s === undefined) continue;
    const weight = floats(r, params.weight)!, bias = floats(r, params.bias)!;
    r.index.bypass(mul, h!);
    if (isPointwise(conv, params.weight)) {
      // conv(s*h + b) = conv_{s*W}(h) + b * (the sum of each output channel's weights).
      const perOut = weight.length / bias.length;
      for (let o = 0; o < bias.length; o++) bias[o]! += b * weight.subarray(o * perOut, (o + 1) * perOut).reduce((sum, w) => sum + w, 0);
      r.index.bypass(add, h!);
    } else {
      // s*h + b = s*(h + b/s): the scale moves into the weights, the Add stays (zero padding must stay zero).
      const name = `${add.output![0]}.shifted`;
      addConstant(r, name, Float32Array.of(b / s));
      r.index.setInput(add, add.input![0] === h ? 1 : 0, name);
    }
    scale(weight, s);
    folded++;
  }
  return folded;
}

/** Constant nodes and initializers no node reads any more (onnxruntime warns about each one). */
function dropUnused(graph: Graph): void {
  const read = new Set(graph.node.flatMap((n) => n.input ?? []));
  for (const o of graph.output ?? []) read.add(o.name);
  graph.node = graph.node.filter((n) => n.op_type !== 'Constant' || read.has(n.output![0]!));
  graph.initializer = (graph.initializer ?? []).filter((t) => read.has(t.name ?? ''));
}
