"""Flows: declarative YAML rules that turn an event in one system into work in the others.

A flow file (``flows/*.yaml``) names a trigger (an event type and a CEL condition) and
steps (push through a connector, notify, create or update a canonical record, find
records, call an outbound webhook, wait, branch). The trigger reads the events in order
and starts one run per flow and event; each step runs as a job on the worker, with an
idempotency key (run + step) passed to the connector. See docs/flows.md.
"""
