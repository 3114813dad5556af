import { useState } from "react";
import type { Id } from "../convex/_generated/dataModel";
import { NewSessionForm } from "./NewSessionForm";
import { SessionDetail } from "./SessionDetail";
import { SessionList } from "./SessionList";

export function App() {
  const [selected, setSelected] = useState<Id<"testSessions"> | null>(null);
  return (
    <main className="layout">
      <aside>
        <h1>Test sessions</h1>
        <NewSessionForm onCreated={setSelected} />
        <SessionList selected={selected} onSelect={setSelected} />
      </aside>
      <section>
        {selected === null ? (
          <p className="muted">Select a session to see its flows.</p>
        ) : (
          <SessionDetail sessionId={selected} />
        )}
      </section>
    </main>
  );
}
