"""Python's ftplib with FTPS data connections that resume the control connection's TLS session.

Stock ftplib.FTP_TLS never reuses the session, so vsftpd (require_ssl_reuse=YES), ProFTPD and
ftpkit (reuse required) refuse its protected data connections. Shared by the interop scripts.
"""

import ftplib


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size
