import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/**
 * Validates /api params, query and bodies with TypeBox's own compiler against the route schemas
 * (the same schemas the OpenAPI document shows): unknown fields are refused, not stripped, and
 * nothing is coerced, so what a handler receives is exactly what the schema says.
 */
export const typeboxValidator: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const check = Compile(schema);
  return (data: unknown) => {
    if (check.Check(data)) return { value: data };
    const errors = [...check.Errors(data)].filter((e) => e.keyword !== 'boolean');
    const problems = errors.map((e) => ({
      keyword: e.keyword,
      instancePath: e.instancePath,
      schemaPath: e.schemaPath,
      params: e.params,
      message: e.keyword === 'additionalProperties' ? `${e.message}: ${JSON.stringify(e.params)}` : e.message,
    }));
    return { error: Object.assign(new Error('request validation failed'), { validation: problems }) };
  };
};
