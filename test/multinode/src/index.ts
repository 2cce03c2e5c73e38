export {
  alive,
  type Cluster,
  type ClusterOptions,
  describePid,
  FTPKIT_BIN,
  FtpNode,
  type NodeOptions,
  startCluster,
} from "./cluster.js";
export { fromAddress } from "./local-address.js";
export { RawControl, type Reply } from "./raw-ftp.js";
export { freePorts, type Postgres, portFree, type S3Store, startPostgres, startS3 } from "./services.js";
