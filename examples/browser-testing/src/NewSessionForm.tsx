import { useMutation } from "convex/react";
import type { FormEvent } from "react";
import { useState } from "react";
import { api } from "../convex/_generated/api";
import type { Id } from "../convex/_generated/dataModel";

/** Creates a session and its flows (one flow per non-empty line of the flows box). */
export function NewSessionForm(props: {
  onCreated: (id: Id<"testSessions">) => void;
}) {
  const createSession = useMutation(api.browserTesting.createTestSession);
  const createFlows = useMutation(api.browserTesting.createTestFlows);
  const [name, setName] = useState("");
  const [prompt, setPrompt] = useState("");
  const [flowText, setFlowText] = useState("");
  const [error, setError] = useState<string | null>(null);

  const handleSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const flows = flowText
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .map((line) => ({
        name: line,
        description: line,
        instructions: `${prompt}\n\n${line}`,
      }));
    try {
      const sessionId = await createSession({ name, prompt });
      if (flows.length > 0) await createFlows({ sessionId, flows });
      props.onCreated(sessionId);
      setName("");
      setPrompt("");
      setFlowText("");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <form onSubmit={(e) => void handleSubmit(e)} className="new-session">
      <input
        placeholder="Session name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
      />
      <textarea
        placeholder="What should be tested?"
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        required
      />
      <textarea
        placeholder="Flows, one per line"
        value={flowText}
        onChange={(e) => setFlowText(e.target.value)}
      />
      <button type="submit">Create session</button>
      {error !== null && <p className="error">{error}</p>}
    </form>
  );
}
