/** The type of what the registry global setup provides to test files (`inject('spoolRegistry')`). */
import type { RegistryInfo } from './verdaccio.js';

declare module 'vitest' {
  export interface ProvidedContext {
    spoolRegistry: RegistryInfo | undefined;
  }
}
