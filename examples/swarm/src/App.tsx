import { HitlPanel } from "./HitlPanel";
import { TicketStats } from "./TicketStats";
import { TicketQueue } from "./TicketQueue";
import { VmGrid } from "./VmGrid";

export function App() {
  return (
    <main className="dashboard">
      <header>
        <h1>Swarm</h1>
        <span className="muted">live from Convex</span>
      </header>
      <TicketStats />
      <div className="columns">
        <div>
          <h2>VMs</h2>
          <VmGrid />
          <h2>Queue</h2>
          <TicketQueue />
        </div>
        <HitlPanel />
      </div>
    </main>
  );
}
