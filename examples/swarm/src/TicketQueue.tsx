import { useQuery } from "convex/react";
import { api } from "../convex/_generated/api";

/** The next pending tickets, in the order `claimNext` hands them out. */
export function TicketQueue() {
  const tickets = useQuery(api.queries.tickets.getAvailable, { limit: 10 });
  if (tickets === undefined) return <p className="muted">Loading…</p>;
  if (tickets.length === 0) return <p className="muted">The queue is empty.</p>;
  return (
    <ol className="queue" data-testid="ticket-queue">
      {tickets.map((ticket) => (
        <li key={ticket._id}>
          <span className="badge">P{ticket.priority ?? 0}</span> {ticket.title}
        </li>
      ))}
    </ol>
  );
}
