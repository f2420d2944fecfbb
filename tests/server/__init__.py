"""Tests against the real server: gunicorn with several workers, over sockets."""
