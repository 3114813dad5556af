import { useQuery } from "convex/react";
import { api } from "../convex/_generated/api";

const CARDS = [
  ["Total tickets", "total", ""],
  ["Pending", "pending", "amber"],
  ["Claimed", "claimed", "blue"],
  ["In progress", "inProgress", "blue"],
  ["Review", "review", "violet"],
  ["Completed", "completed", "green"],
  ["Failed", "failed", "red"],
  ["Blocked", "blocked", "gray"],
] as const;

export function TicketStats() {
  const stats = useQuery(api.queries.tickets.getStats, {});
  return (
    <section className="stats" data-testid="ticket-stats">
      {CARDS.map(([title, key, color]) => (
        <div key={key} className={`card ${color}`}>
          <div className="muted">{title}</div>
          <div className="value" data-testid={`stat-${key}`}>
            {stats === undefined ? "…" : stats[key]}
          </div>
        </div>
      ))}
    </section>
  );
}
