/**
 * GraphQL Codegen (client preset) against the client-facing API, router/api.graphql.
 *
 *   npm run codegen         regenerate src/gql/ (typed documents + persisted-documents.json)
 *   npm run codegen:check   fail if src/gql/ is stale (tests/test_example_web.py runs it)
 *
 * src/gql/persisted-documents.json is the trusted-documents manifest (sha256 hash ->
 * document) of every operation this app sends: a gateway can be told to run only these.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../router/api.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string' },
      },
    },
  },
};

export default config;
