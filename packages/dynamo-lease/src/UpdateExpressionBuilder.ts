import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** The expression parts of an UpdateItem / PutItem / DeleteItem request. */
export interface BuiltExpressions {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

/**
 * Builds `UpdateExpression` and `ConditionExpression` with placeholder names for every attribute,
 * so KCL attribute names never collide with DynamoDB reserved words. `ConditionExpression` is the
 * modern equivalent of the KCL's legacy `Expected` map: clauses are ANDed, as `Expected` entries are.
 * @internal
 */
export class UpdateExpressionBuilder {
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private readonly adds: string[] = [];
  private readonly conditions: string[] = [];
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, AttributeValue> = {};
  private valueCount = 0;

  private name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  private value(value: AttributeValue): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** `SET attribute = value`. */
  set(attribute: string, value: AttributeValue): this {
    this.sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }

  /** `SET` when a value is given, `REMOVE` when it is `undefined`. */
  setOrRemove(attribute: string, value: AttributeValue | undefined): this {
    return value === undefined ? this.remove(attribute) : this.set(attribute, value);
  }

  /** `REMOVE attribute`. */
  remove(attribute: string): this {
    this.removes.push(this.name(attribute));
    return this;
  }

  /** `ADD attribute value` (numbers). */
  add(attribute: string, value: AttributeValue): this {
    this.adds.push(`${this.name(attribute)} ${this.value(value)}`);
    return this;
  }

  /** Condition: the attribute equals `value`. */
  expectEquals(attribute: string, value: AttributeValue): this {
    this.conditions.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }

  /** Condition: the attribute is absent. */
  expectAbsent(attribute: string): this {
    this.conditions.push(`attribute_not_exists(${this.name(attribute)})`);
    return this;
  }

  /** Condition: the attribute exists. */
  expectExists(attribute: string): this {
    this.conditions.push(`attribute_exists(${this.name(attribute)})`);
    return this;
  }

  /** Condition: equals `value`, or absent when `value` is `undefined`. */
  expectEqualsOrAbsent(attribute: string, value: AttributeValue | undefined): this {
    return value === undefined ? this.expectAbsent(attribute) : this.expectEquals(attribute, value);
  }

  build(): BuiltExpressions {
    const clauses: string[] = [];
    if (this.sets.length) clauses.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length) clauses.push(`REMOVE ${this.removes.join(', ')}`);
    if (this.adds.length) clauses.push(`ADD ${this.adds.join(', ')}`);
    return {
      ...(clauses.length ? { UpdateExpression: clauses.join(' ') } : {}),
      ...(this.conditions.length ? { ConditionExpression: this.conditions.join(' AND ') } : {}),
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: { ...this.names } } : {}),
      ...(this.valueCount ? { ExpressionAttributeValues: { ...this.values } } : {}),
    };
  }
}
