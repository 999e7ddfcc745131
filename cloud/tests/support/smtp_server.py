"""A real SMTP server for the hub's tests (aiosmtpd, from PyPI): STARTTLS required before
AUTH (or, with --implicit-tls, TLS from the first byte as on port 465), one login accepted,
every accepted message written to --dir as a .eml file with an X-Rcpt header (the envelope's
recipients) and an X-TLS header (whether the connection it came over was encrypted).

Prints "READY <port>" once listening; stops on SIGTERM or when stdin closes."""
import argparse, asyncio, logging, pathlib, ssl, sys, uuid, warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Save:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        name = self.out / f"{uuid.uuid4()}.eml"
        tmp = name.with_suffix(".tmp")
        tls = b"yes" if server.transport.get_extra_info("ssl_object") is not None else b"no"
        tmp.write_bytes(b"X-Rcpt: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n"
                        + b"X-TLS: " + tls + b"\r\n" + envelope.content)
        tmp.rename(name)
        return "250 2.0.0 stored"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--implicit-tls", action="store_true")
    a = p.parse_args()
    out = pathlib.Path(a.dir)
    out.mkdir(parents=True, exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
        return AuthResult(success=ok, handled=False)

    if a.implicit_tls:
        # TLS wraps the whole session (SMTPS): there is no STARTTLS, and aiosmtpd only counts a
        # STARTTLS upgrade as "TLS" for AUTH, so the session's own encryption stands in for it
        # (and its warnings about AUTH without STARTTLS do not apply).
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        c = Controller(Save(out), hostname="127.0.0.1", port=a.port, ssl_context=tls,
                       authenticator=check, auth_required=True, auth_require_tls=False)
    else:
        c = Controller(Save(out), hostname="127.0.0.1", port=a.port, tls_context=tls, require_starttls=True,
                       authenticator=check, auth_required=True, auth_require_tls=True)
    c.start()
    print(f"READY {a.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        c.stop()


if __name__ == "__main__":
    main()
