// GraphQL types generated from the node's own SDL (crates/api/schema.graphql).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../crates/api/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/api/generated/**'],
  ignoreNoDocuments: true,
  generates: {
    'src/api/generated/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
        enumsAsTypes: true,
        documentMode: 'string',
        useTypeImports: true,
        strictScalars: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
  },
};
export default config;
