/**
 * Demand control for the whole client operation, before any subgraph is called.
 *
 * Hive Gateway's built-in `demandControl` prices each subgraph fetch as it is made, so an
 * operation that alternates subgraphs (locations -> recycling -> locations ...) is only
 * stopped after the first fetches ran, and a fetch's items are not multiplied by the list
 * that led to it. This plugin prices the client's document against the supergraph, with
 * the same rules as Apollo Router's demand control and the subgraphs' own estimate
 * (shared/src/bunri_shared/cost.py — keep the two in step):
 *   operation  = 10 for a mutation + the cost of its fields
 *   field cost = @cost weight + items x (1 for an object, 0 for a leaf + its selection)
 *   items      = the `first` argument (@listSize slicingArguments; a null one counts as
 *                assumedSize), else @listSize assumedSize, else DEFAULT_LIST_SIZE for a list,
 *                else 1; `sizedFields` hand the count to child fields (connections).
 * Over budget -> one error, code COST_LIMIT_EXCEEDED, extensions.cost {estimated, max}.
 */
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromASTUntyped,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { GatewayPlugin } from '@graphql-hive/gateway';

export const DEFAULT_LIST_SIZE = 20;
// A mutation writes: it costs this on top of its selection (Apollo's and Hive's default).
export const MUTATION_COST = 10;
export const COST_LIMIT_EXCEEDED = 'COST_LIMIT_EXCEEDED';

interface FieldPrice {
  weight: number;
  slicingArguments?: string[];
  assumedSize?: number;
  sizedFields?: string[];
}

interface Walk {
  schema: GraphQLSchema;
  variables: Record<string, unknown>;
  fragments: Map<string, FragmentDefinitionNode>;
  seen: Set<string>;
}

// Prices are read once per schema object (a supergraph reload makes a new one).
const pricesBySchema = new WeakMap<GraphQLSchema, WeakMap<GraphQLField<unknown, unknown>, FieldPrice>>();

function directiveArgs(node: ConstDirectiveNode): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of node.arguments ?? []) args[arg.name.value] = valueFromASTUntyped(arg.value);
  return args;
}

/** @cost/@listSize from the field's AST (supergraph SDL) or graphql-tools' extensions. */
function priceOf(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>): FieldPrice {
  let prices = pricesBySchema.get(schema);
  if (!prices) {
    prices = new WeakMap();
    pricesBySchema.set(schema, prices);
  }
  const known = prices.get(field);
  if (known) return known;
  const price: FieldPrice = { weight: 0 };
  const fromExtensions = (field.extensions as { directives?: Record<string, unknown[]> })
    ?.directives;
  const directives: Array<[string, Record<string, unknown>]> = [
    ...(field.astNode?.directives ?? []).map(
      (d) => [d.name.value, directiveArgs(d)] as [string, Record<string, unknown>],
    ),
    ...Object.entries(fromExtensions ?? {}).flatMap(([name, values]) =>
      (values ?? []).map((v) => [name, (v ?? {}) as Record<string, unknown>] as [string, Record<string, unknown>]),
    ),
  ];
  for (const [name, args] of directives) {
    if (name === 'cost' && typeof args.weight === 'number') price.weight = args.weight;
    if (name === 'listSize') {
      if (Array.isArray(args.slicingArguments)) price.slicingArguments = args.slicingArguments as string[];
      if (typeof args.assumedSize === 'number') price.assumedSize = args.assumedSize;
      if (Array.isArray(args.sizedFields)) price.sizedFields = args.sizedFields as string[];
    }
  }
  prices.set(field, price);
  return price;
}

function literal(walk: Walk, value: ValueNode): unknown {
  if (value.kind === Kind.VARIABLE) return walk.variables[value.name.value];
  return valueFromASTUntyped(value);
}

function intArgument(walk: Walk, field: GraphQLField<unknown, unknown>, node: FieldNode, name: string) {
  const given = node.arguments?.find((a) => a.name.value === name);
  const value = given
    ? literal(walk, given.value)
    : field.args.find((a) => a.name === name)?.defaultValue;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function fieldCost(
  walk: Walk,
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  handedSize: number | undefined,
): number {
  const price = priceOf(walk.schema, field);
  let size = handedSize;
  let childSized: Record<string, number> = {};
  if (price.slicingArguments?.length) {
    const asked = price.slicingArguments
      .map((name) => intArgument(walk, field, node, name))
      .filter((v): v is number => v !== undefined);
    const requested = asked.length ? Math.max(...asked) : (price.assumedSize ?? DEFAULT_LIST_SIZE);
    if (price.sizedFields?.length) {
      childSized = Object.fromEntries(price.sizedFields.map((f) => [f, requested]));
    } else {
      size = requested;
    }
  } else if (price.assumedSize !== undefined) {
    size = price.assumedSize;
  }
  if (size === undefined) size = isListType(getNullableType(field.type)) ? DEFAULT_LIST_SIZE : 1;
  const returned = getNamedType(field.type);
  const item = isCompositeType(returned) ? 1 : 0;
  const children = selectionCost(walk, returned, node.selectionSet, childSized);
  return price.weight + Math.max(size, 0) * (item + children);
}

function selectionCost(
  walk: Walk,
  parent: GraphQLNamedType,
  selectionSet: SelectionSetNode | undefined,
  sized: Record<string, number>,
): number {
  if (!selectionSet) return 0;
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!isObjectType(parent) && !isInterfaceType(parent)) continue; // __typename on a union
      const field = parent.getFields()[selection.name.value];
      if (field) total += fieldCost(walk, field, selection, sized[selection.name.value]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const target = selection.typeCondition
        ? walk.schema.getType(selection.typeCondition.name.value)
        : parent;
      total += selectionCost(walk, target ?? parent, selection.selectionSet, sized);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      // Validation forbids cycles; the guard keeps a bad document from recursing forever.
      if (!fragment || walk.seen.has(name)) continue;
      walk.seen.add(name);
      const target = walk.schema.getType(fragment.typeCondition.name.value);
      total += selectionCost(walk, target ?? parent, fragment.selectionSet, sized);
      walk.seen.delete(name);
    }
  }
  return total;
}

function operationOf(document: DocumentNode, operationName?: string | null) {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

/** The estimated cost of the selected operation of a validated document. */
export function estimateCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Record<string, unknown> | null,
): number {
  const operation = operationOf(document, operationName);
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const defaults: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue) {
      defaults[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
    }
  }
  const walk: Walk = {
    schema,
    variables: { ...defaults, ...(variables ?? {}) },
    fragments: new Map(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    ),
    seen: new Set(),
  };
  const base = operation.operation === 'mutation' ? MUTATION_COST : 0;
  return base + selectionCost(walk, root, operation.selectionSet, {});
}

export function costLimitError(estimated: number, max: number): GraphQLError {
  return new GraphQLError(
    `This operation is too expensive: estimated cost ${estimated}, limit ${max}. Ask for fewer items (smaller "first") or fewer nested lists.`,
    { extensions: { code: COST_LIMIT_EXCEEDED, cost: { estimated, max } } },
  );
}

/**
 * Refuses an operation whose estimated cost is over `maxCost`, before it executes. With
 * `reportEstimate` (development) every answer carries `extensions.cost {estimated, max}`.
 */
export const useOperationCost = ({
  maxCost,
  reportEstimate = false,
  onRefused,
}: {
  maxCost: number;
  reportEstimate?: boolean;
  onRefused?: (estimated: number) => void;
}): GatewayPlugin => {
  const check = (
    args: {
      schema: GraphQLSchema;
      document: DocumentNode;
      operationName?: string | null;
      variableValues?: Record<string, unknown> | null;
    },
    stop: (result: { errors: GraphQLError[] }) => void,
  ) => {
    const estimated = estimateCost(args.schema, args.document, args.operationName, args.variableValues);
    if (estimated > maxCost) {
      onRefused?.(estimated);
      stop({ errors: [costLimitError(estimated, maxCost)] });
      return undefined;
    }
    if (!reportEstimate) return undefined;
    return {
      onExecuteDone({ result, setResult }: { result: unknown; setResult: (r: never) => void }) {
        if (!result || typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') return;
        const single = result as { extensions?: Record<string, unknown> };
        setResult({ ...single, extensions: { ...single.extensions, cost: { estimated, max: maxCost } } } as never);
      },
    };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      return check(args, setResultAndStopExecution);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      check(args, setResultAndStopExecution);
    },
  };
};
