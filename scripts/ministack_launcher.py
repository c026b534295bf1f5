"""Starts ministack with Nagle's algorithm off on its request handlers.

Without this, warm Lambda invokes have a ~50 ms floor (Nagle + delayed ACK in ministack's
Runtime API server); with it, 8-16 ms (see shared/notes/local-aws.md).
"""
import socketserver

socketserver.StreamRequestHandler.disable_nagle_algorithm = True

from ministack.app import main  # noqa: E402  (the flag must be set before ministack loads)

main()
