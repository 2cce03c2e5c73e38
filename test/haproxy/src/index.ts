export {
  type HaproxyBackend,
  type HaproxyFrontend,
  haproxyAvailable,
  haproxyConfig,
  type RunningHaproxy,
  type StartHaproxyOptions,
  startHaproxy,
} from "./haproxy.js";
