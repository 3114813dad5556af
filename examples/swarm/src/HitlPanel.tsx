import { useQuery } from "convex/react";
import { useState } from "react";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";
import { HitlChat } from "./HitlChat";

/** Open human-in-the-loop sessions and the chat of the selected one. */
export function HitlPanel() {
  const sessions = useQuery(api.queries.hitl.listOpen, {});
  const [selected, setSelected] = useState<Id<"hitlSessions"> | null>(null);
  const current = selected ?? sessions?.[0]?._id ?? null;
  return (
    <aside className="hitl">
      <h2>Human in the loop</h2>
      {sessions === undefined && <p className="muted">Loading…</p>}
      {sessions?.length === 0 && (
        <p className="muted">Nobody is waiting for you.</p>
      )}
      <ul className="hitl-sessions">
        {sessions?.map((session) => (
          <li key={session._id}>
            <button
              className={session._id === current ? "selected" : ""}
              onClick={() => setSelected(session._id)}
            >
              {session.question ??
                session.projectName ??
                session.type ??
                "Session"}{" "}
              <span className={`badge ${session.state}`}>{session.state}</span>
            </button>
          </li>
        ))}
      </ul>
      {current !== null && <HitlChat key={current} sessionId={current} />}
    </aside>
  );
}
