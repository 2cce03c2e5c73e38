export { type AllowRule, formatAllowRule, isAllowed, normalizeHost, parseAllowRule } from "./allow-list.js";
export { type DemoGateway, type DemoGatewayOptions, type DemoPreset, startDemoGateway } from "./server.js";
export { DEFAULT_STATIC_DIR } from "./static.js";
