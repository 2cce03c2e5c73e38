import { ftpkitServer } from "../__tests__/targets.js";
import { urlCommandSuite } from "../__tests__/url-command-suite.js";

urlCommandSuite("URL commands against @ftpkit/server", ftpkitServer);
