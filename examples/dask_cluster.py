"""numguard on a dask cluster: a task error instead of a killed worker.

A worker with memory_limit="600MiB" gets a task whose `a * a.T` makes a 1.07 GiB
temporary. Without numguard the nanny restarts the worker until the client gives up
with KilledWorker. With NumguardPlugin the allocation is refused before memory is
touched: the task fails with numguard's MemoryLimitError, the worker lives on, and the
refusal arrives as an event. `numguard.dask.check` refuses the dask-array version of the
same mistake before anything runs.

Run: python examples/dask_cluster.py   (needs: pip install 'numguard[dask]'; ~5 s)
"""

from __future__ import annotations

import numpy as np
import dask.array as da
from distributed import Client, LocalCluster

from numguard.dask import NumguardPlugin, check


def outer_product_sum(n: int) -> float:
    a = np.ones((n, 1))
    return float((a * a.T).sum())  # an (n, n) temporary


def main() -> None:
    with LocalCluster(n_workers=1, threads_per_worker=2, memory_limit="600MiB",
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        client.register_plugin(NumguardPlugin())
        address = next(iter(client.scheduler_info()["workers"]))

        print("1. a 1.07 GiB temporary in a task:")
        try:
            client.submit(outer_product_sum, 12_000).result(timeout=60)
        except MemoryError as error:
            print(f"   {type(error).__name__}: {str(error).splitlines()[0]}")
        print(f"   same worker afterwards: {address in client.scheduler_info()['workers']}")
        print(f"   a small task still runs: {client.submit(outer_product_sum, 1_000).result()}")

        events = [e for _, e in client.get_events("numguard")]
        for event in events:
            if event["action"] == "armed":
                print(f"2. worker limit: {event['rule']}")
            else:
                print(f"   event: {event['action']} {event['nbytes']:,} bytes at {event['site']}")

        print("3. check() before compute, on the dask-array version:")
        x = da.ones(4_000_000, chunks=1_000_000)
        try:
            check((x[:, None] * x[None, :]).sum(axis=1))
        except MemoryError as error:
            print("   " + str(error).splitlines()[0])
        print("   a sane graph passes: " + str(check((x * 2).sum())).splitlines()[0])


if __name__ == "__main__":
    main()
