export { main } from './cli.js';
export {
  CreateErrorCode,
  packageNameFor,
  type ScaffoldOptions,
  type ScaffoldResult,
  scaffold,
  spiRangeOf,
} from './scaffold.js';
export { OPTIONS, type TemplateInput } from './templates.js';
