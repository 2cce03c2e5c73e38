/**
 * @ftpkit/web-demo (private): the web demo's gateway, for `ftpkit dev` and tests. The page
 * itself is built by `vite build` into dist/public, which the gateway serves.
 */
export {
  DEFAULT_STATIC_DIR,
  type DemoGateway,
  type DemoGatewayOptions,
  type DemoPreset,
  parseAllowRule,
  startDemoGateway,
} from "./gateway/index.js";
