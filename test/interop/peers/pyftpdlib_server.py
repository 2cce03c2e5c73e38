#!/usr/bin/python3
"""pyftpdlib FTP/FTPS server for the @ftpkit/interop tests (started by src/peers.ts).

Run it with Debian's /usr/bin/python3 (python3-pyftpdlib, python3-openssl). It binds 127.0.0.1
only and prints "READY 127.0.0.1:<port>" on stdout once it listens.
"""

import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--passive", required=True, help="LO-HI passive port range")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--tls", choices=["none", "explicit"], default="none")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--require-tls", action="store_true")
    p.add_argument("--permit-foreign-addresses", action="store_true")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--max-cons", type=int, default=256, help="sessions at once (max_cons)")
    a = p.parse_args()

    logging.basicConfig(
        level=getattr(logging, a.log_level.upper()),
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )

    authorizer = DummyAuthorizer()
    authorizer.add_user(a.user, a.password, a.root, perm="elradfmwMT")

    if a.tls == "explicit":
        from pyftpdlib.handlers import TLS_FTPHandler  # needs pyOpenSSL (python3-openssl)

        class Handler(TLS_FTPHandler):
            pass

        Handler.certfile = a.cert
        Handler.keyfile = a.key
        Handler.tls_control_required = a.require_tls
        Handler.tls_data_required = a.require_tls
    else:

        class Handler(FTPHandler):
            pass

    lo, hi = (int(x) for x in a.passive.split("-"))
    Handler.authorizer = authorizer
    Handler.passive_ports = range(lo, hi + 1)
    Handler.masquerade_address = None
    Handler.permit_foreign_addresses = a.permit_foreign_addresses
    Handler.permit_privileged_ports = False
    Handler.banner = "pyftpdlib ready"

    server = FTPServer(("127.0.0.1", a.port), Handler)
    server.max_cons = a.max_cons
    server.max_cons_per_ip = 0
    print("READY 127.0.0.1:%d" % a.port, flush=True)
    try:
        server.serve_forever()
    finally:
        server.close_all()


if __name__ == "__main__":
    main()
