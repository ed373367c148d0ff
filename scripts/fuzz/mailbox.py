"""A mail server for the fuzzing node: it accepts every message sent to it over plain
SMTP and appends each one, decoded, as a JSON line (to, subject, text, links) to a
file. The node is pointed at it (`mail.smtp_url`), so invitations, verification and
password-reset mail travel the way they do in production, and the seeding step reads
the invitation links from the file as an invitee reads their mailbox.

Usage: python3 mailbox.py <port file> <messages file>
Listens on a free loopback port and writes the port number to <port file> once it does.
"""

import asyncio
import email
import email.policy
import json
import re
import sys

LINK = re.compile(r"https?://\S+")
MAX_MESSAGE = 1 << 20


def decode(data: bytes, recipients: list) -> dict:
    message = email.message_from_bytes(data, policy=email.policy.default)
    try:
        part = message.get_body(preferencelist=("plain",)) or message
        text = part.get_content()
    except (KeyError, LookupError, ValueError):
        text = data.decode("utf-8", "replace")
    return {
        "to": recipients or [str(message.get("To", ""))],
        "subject": str(message.get("Subject", "")),
        "text": text,
        "links": LINK.findall(text),
    }


class Mailbox:
    def __init__(self, path: str):
        self.path = path

    def deliver(self, data: bytes, recipients: list) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(decode(data, recipients)) + "\n")

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write((line + "\r\n").encode())

        recipients: list = []
        try:
            reply("220 localhost ESMTP mailbox")
            await writer.drain()
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line.decode("latin-1").strip()
                upper = verb.upper()
                if upper.startswith("EHLO"):
                    writer.write(b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif upper.startswith("HELO"):
                    reply("250 localhost")
                elif upper.startswith("MAIL FROM"):
                    recipients = []
                    reply("250 OK")
                elif upper.startswith("RCPT TO"):
                    address = verb.split(":", 1)[1].strip()
                    recipients.append(address.split()[0].strip("<>") if address else "")
                    reply("250 OK")
                elif upper == "DATA":
                    reply("354 end with <CRLF>.<CRLF>")
                    await writer.drain()
                    lines = []
                    size = 0
                    while True:
                        chunk = await reader.readline()
                        if not chunk or chunk in (b".\r\n", b".\n"):
                            break
                        if chunk.startswith(b".."):
                            chunk = chunk[1:]
                        size += len(chunk)
                        if size <= MAX_MESSAGE:
                            lines.append(chunk)
                    self.deliver(b"".join(lines), recipients)
                    recipients = []
                    reply("250 queued")
                elif upper in ("RSET", "NOOP"):
                    recipients = [] if upper == "RSET" else recipients
                    reply("250 OK")
                elif upper == "QUIT":
                    reply("221 bye")
                    await writer.drain()
                    break
                else:
                    reply("502 not implemented")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def main(port_file: str, messages: str) -> None:
    mailbox = Mailbox(messages)
    server = await asyncio.start_server(mailbox.session, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(port_file, "w", encoding="utf-8") as out:
        out.write(f"{port}\n")
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
