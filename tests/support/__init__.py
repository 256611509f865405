"""Helpers the tests share, one module per area of korsync (``tests.support.sync`` for the sync
tests, and so on); the conftest.py files hold only fixtures and import what they need from here."""
