import type { CommandOf, Verb } from "../../../command/index.js";
import type { SessionCore } from "../core.js";
import { handleAcct, handleHost, handlePass, handleQuit, handleRein, handleUser } from "./access.js";
import { handleEprt, handleEpsv, handlePasv, handlePort } from "./data-setup.js";
import {
  handleDele,
  handleHash,
  handleMdtm,
  handleMfmt,
  handleMkd,
  handleMlst,
  handleRmd,
  handleRnfr,
  handleRnto,
  handleSite,
  handleSize,
} from "./files.js";
import { handleFeat, handleHelp, handleLang, handleNoop, handleOpts, handleStat, handleSyst } from "./information.js";
import { handleCdup, handleCwd, handlePwd, handleSmnt } from "./navigation.js";
import { handleAllo, handleMode, handleRest, handleStru, handleType } from "./parameters.js";
import { handleAuth, handleCcc, handlePbsz, handleProt } from "./security.js";
import {
  handleAbor,
  handleAppe,
  handleList,
  handleMlsd,
  handleNlst,
  handleRetr,
  handleStor,
  handleStou,
} from "./transfers.js";

/** Aliases (RFC 1123 §4.1.3.1) are dispatched to their canonical verb. */
type CanonicalVerb = Exclude<Verb, "XCWD" | "XCUP" | "XMKD" | "XRMD" | "XPWD">;

export type Handler<V extends Verb> = (core: SessionCore, command: CommandOf<V>) => void;

/** One handler per verb; each is a plain function of the session core and the parsed command. */
export const HANDLERS: { readonly [V in CanonicalVerb]: Handler<V> } = {
  USER: handleUser,
  PASS: handlePass,
  ACCT: handleAcct,
  CWD: handleCwd,
  CDUP: handleCdup,
  SMNT: handleSmnt,
  REIN: handleRein,
  QUIT: handleQuit,
  PORT: handlePort,
  PASV: handlePasv,
  TYPE: handleType,
  STRU: handleStru,
  MODE: handleMode,
  RETR: handleRetr,
  STOR: handleStor,
  STOU: handleStou,
  APPE: handleAppe,
  ALLO: handleAllo,
  REST: handleRest,
  RNFR: handleRnfr,
  RNTO: handleRnto,
  ABOR: handleAbor,
  DELE: handleDele,
  RMD: handleRmd,
  MKD: handleMkd,
  PWD: handlePwd,
  LIST: handleList,
  NLST: handleNlst,
  SITE: handleSite,
  SYST: handleSyst,
  STAT: handleStat,
  HELP: handleHelp,
  NOOP: handleNoop,
  AUTH: handleAuth,
  PBSZ: handlePbsz,
  PROT: handleProt,
  CCC: handleCcc,
  FEAT: handleFeat,
  OPTS: handleOpts,
  EPRT: handleEprt,
  EPSV: handleEpsv,
  LANG: handleLang,
  MDTM: handleMdtm,
  SIZE: handleSize,
  MLST: handleMlst,
  MLSD: handleMlsd,
  HOST: handleHost,
  MFMT: handleMfmt,
  HASH: handleHash,
};
