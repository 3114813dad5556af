import { useQuery } from "convex/react";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";

export function SessionList(props: {
  selected: Id<"testSessions"> | null;
  onSelect: (id: Id<"testSessions">) => void;
}) {
  const sessions = useQuery(api.browserTesting.listTestSessions, { limit: 20 });
  if (sessions === undefined) return <p className="muted">Loading…</p>;
  if (sessions.length === 0) return <p className="muted">No sessions yet.</p>;
  return (
    <ul className="sessions" data-testid="sessions">
      {sessions.map((session) => (
        <li key={session._id}>
          <button
            className={session._id === props.selected ? "selected" : ""}
            data-testid={`session-${session._id}`}
            onClick={() => props.onSelect(session._id)}
          >
            <span>{session.name}</span>
            <span className={`badge ${session.status}`}>{session.status}</span>
            <span className="muted">
              {session.completedFlows}/{session.totalFlows} flows
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
