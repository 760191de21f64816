"""The shared kernel: database, money, clock, errors, auth, audit, outbox.

Nothing here knows about dossiers, payments or shipments; domain packages build on it.
"""
