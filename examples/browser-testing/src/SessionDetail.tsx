import { useMutation, useQuery } from "convex/react";
import { api } from "../convex/_generated/api";
import type { Doc, Id } from "../convex/_generated/dataModel";

export function SessionDetail({
  sessionId,
}: {
  sessionId: Id<"testSessions">;
}) {
  const session = useQuery(api.browserTesting.getTestSession, { sessionId });
  if (session === undefined) return <p className="muted">Loading…</p>;
  if (session === null)
    return <p className="muted">This session no longer exists.</p>;
  return (
    <article>
      <h2>{session.name}</h2>
      <p>
        <span
          className={`badge ${session.status}`}
          data-testid="session-status"
        >
          {session.status}
        </span>{" "}
        {session.completedFlows}/{session.totalFlows} flows finished
      </p>
      <blockquote>{session.prompt}</blockquote>
      <ol className="flows" data-testid="flows">
        {session.flows.map((flow) => (
          <FlowRow key={flow._id} flow={flow} />
        ))}
      </ol>
    </article>
  );
}

function FlowRow({ flow }: { flow: Doc<"testFlows"> }) {
  const approve = useMutation(api.browserTesting.approveFlow);
  const update = useMutation(api.browserTesting.updateFlowStatus);
  return (
    <li data-testid={`flow-${flow._id}`}>
      <strong>{flow.name}</strong>{" "}
      <span
        className={`badge ${flow.status}`}
        data-testid={`flow-status-${flow._id}`}
      >
        {flow.status}
      </span>
      <p className="muted">{flow.description}</p>
      {flow.errorMessage !== undefined && (
        <p className="error">{flow.errorMessage}</p>
      )}
      <div className="actions">
        {flow.status === "pending" && !flow.approved && (
          <button
            onClick={() => void approve({ flowId: flow._id, approved: true })}
          >
            Approve
          </button>
        )}
        {flow.status === "pending" && flow.approved && (
          <button
            onClick={() => void update({ flowId: flow._id, status: "running" })}
          >
            Run
          </button>
        )}
        {flow.status === "running" && (
          <>
            <button
              onClick={() =>
                void update({ flowId: flow._id, status: "completed" })
              }
            >
              Pass
            </button>
            <button
              onClick={() =>
                void update({
                  flowId: flow._id,
                  status: "failed",
                  errorMessage: "Marked failed",
                })
              }
            >
              Fail
            </button>
          </>
        )}
      </div>
    </li>
  );
}
