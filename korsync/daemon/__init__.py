"""The daemon behind ``korsync run``: the process under systemd (``service``), its schedule,
the job that runs a stream under its lock (``jobs``), the shared HTTP transport, metrics,
systemd notifications, signals and locks."""
