import { useQuery } from "convex/react";
import { api } from "../convex/_generated/api";

export function VmGrid() {
  const vms = useQuery(api.queries.vms.getAll, {});
  if (vms === undefined) return <p className="muted">Loading…</p>;
  if (vms.length === 0) return <p className="muted">No VMs registered.</p>;
  return (
    <div className="vm-grid" data-testid="vm-grid">
      {vms.map((vm) => (
        <div key={vm._id} className={`vm ${vm.state}`} title={vm.ip}>
          <strong>vm-{vm.vmId}</strong>
          <span>{vm.state}</span>
          {vm.metrics?.cpuPercent !== undefined && (
            <span className="muted">
              {vm.metrics.cpuPercent.toFixed(0)}% cpu
            </span>
          )}
        </div>
      ))}
    </div>
  );
}
