import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const ticketState = v.union(
  v.literal("draft"),
  v.literal("pending"),
  v.literal("claimed"),
  v.literal("in_progress"),
  v.literal("review"),
  v.literal("completed"),
  v.literal("failed"),
  v.literal("blocked"),
  v.literal("hold"),
);

export const assigneeType = v.union(v.literal("human"), v.literal("agent"));

export const projectState = v.union(
  v.literal("draft"),
  v.literal("active"),
  v.literal("archived"),
  v.literal("paused"),
);

export const vmState = v.union(
  v.literal("starting"),
  v.literal("running"),
  v.literal("busy"),
  v.literal("stopping"),
  v.literal("stopped"),
  v.literal("error"),
);

export const hitlRole = v.union(
  v.literal("user"),
  v.literal("assistant"),
  v.literal("system"),
);

export default defineSchema({
  // ============================================
  // USERS & AUTHENTICATION
  // ============================================
  users: defineTable({
    email: v.string(),
    passwordHash: v.string(),
    name: v.optional(v.string()),
    roleId: v.optional(v.id("roles")),
    tenantId: v.optional(v.string()),
    lastLogin: v.optional(v.number()), // Unix timestamp
    createdAt: v.number(),
  })
    .index("by_email", ["email"])
    .index("by_tenant", ["tenantId"]),

  roles: defineTable({
    name: v.string(),
    level: v.number(),
    description: v.optional(v.string()),
    createdAt: v.number(),
  }).index("by_name", ["name"]),

  permissions: defineTable({
    name: v.string(),
    description: v.optional(v.string()),
    category: v.optional(v.string()),
    createdAt: v.number(),
  })
    .index("by_name", ["name"])
    .index("by_category", ["category"]),

  rolePermissions: defineTable({
    roleId: v.id("roles"),
    permissionId: v.id("permissions"),
    createdAt: v.number(),
  })
    .index("by_role", ["roleId"])
    .index("by_permission", ["permissionId"]),

  // ============================================
  // PROJECTS
  // ============================================
  projects: defineTable({
    name: v.string(),
    description: v.optional(v.string()),
    repoUrl: v.optional(v.string()),
    branch: v.optional(v.string()),
    tenantId: v.optional(v.string()),
    ownerId: v.optional(v.id("users")),
    state: projectState,
    type: v.optional(v.string()),
    createdAt: v.number(),
    updatedAt: v.number(),
  })
    .index("by_tenant", ["tenantId"])
    .index("by_owner", ["ownerId"])
    .index("by_state", ["state"]),

  // ============================================
  // TICKETS
  // ============================================
  tickets: defineTable({
    title: v.string(),
    description: v.optional(v.string()),
    projectId: v.optional(v.id("projects")),
    parentId: v.optional(v.id("tickets")),

    // Status tracking
    state: ticketState,
    priority: v.optional(v.number()),

    // Assignment
    assigneeId: v.optional(v.id("users")),
    assigneeType: v.optional(assigneeType),
    vmId: v.optional(v.string()),

    // Lease management (for agent work)
    leaseExpires: v.optional(v.number()),
    lastHeartbeat: v.optional(v.number()),

    // Dependencies (stored as arrays of ticket IDs)
    dependsOn: v.optional(v.array(v.id("tickets"))),
    blocks: v.optional(v.array(v.id("tickets"))),

    // Git/PR tracking
    branchName: v.optional(v.string()),
    prUrl: v.optional(v.string()),
    filesInvolved: v.optional(v.array(v.string())),

    // Results
    progressLog: v.optional(v.string()),
    result: v.optional(v.string()),
    error: v.optional(v.string()),
    outputs: v.optional(v.any()),

    // Verification
    verificationStatus: v.optional(
      v.union(
        v.literal("pending"),
        v.literal("passed"),
        v.literal("failed"),
        v.literal("skipped"),
      ),
    ),
    holdReason: v.optional(v.string()),
    rejectionCount: v.optional(v.number()),

    // Estimation
    estimatedHours: v.optional(v.number()),
    actualHours: v.optional(v.number()),
    estimatedScope: v.optional(v.string()),

    // Design session reference
    designSession: v.optional(v.string()),

    // Multi-tenancy
    tenantId: v.optional(v.string()),

    // Timestamps
    createdAt: v.number(),
    updatedAt: v.number(),
    startedAt: v.optional(v.number()),
    completedAt: v.optional(v.number()),
  })
    .index("by_project", ["projectId"])
    .index("by_state", ["state"])
    .index("by_parent", ["parentId"])
    .index("by_assignee", ["assigneeId"])
    .index("by_tenant", ["tenantId"])
    .index("by_vm", ["vmId"])
    .index("by_state_tenant", ["state", "tenantId"])
    .index("by_project_state", ["projectId", "state"])
    // claimNext: the highest-priority claimable ticket, overall or per tenant.
    .index("by_state_priority", ["state", "priority"])
    .index("by_state_tenant_priority", ["state", "tenantId", "priority"])
    // Lease expiry sweep, PR webhook lookup, a VM's current ticket.
    .index("by_state_lease", ["state", "leaseExpires"])
    .index("by_pr_url", ["prUrl"])
    .index("by_vm_state", ["vmId", "state"]),

  // ============================================
  // HITL (Human-in-the-Loop)
  // ============================================
  hitlSessions: defineTable({
    ticketId: v.optional(v.id("tickets")),
    projectId: v.optional(v.id("projects")),

    type: v.optional(
      v.union(
        v.literal("design"),
        v.literal("review"),
        v.literal("approval"),
        v.literal("clarification"),
      ),
    ),
    state: v.union(
      v.literal("active"),
      v.literal("waiting"),
      v.literal("resolved"),
      v.literal("cancelled"),
    ),

    // Project design fields
    projectName: v.optional(v.string()),
    description: v.optional(v.string()),
    projectType: v.optional(v.string()),
    repoUrl: v.optional(v.string()),
    supportingRepos: v.optional(v.any()), // JSON array
    repoAnalysis: v.optional(v.any()), // JSON object

    // Spec generation
    draftSpec: v.optional(v.any()),
    finalSpec: v.optional(v.any()),

    // Chat/QA
    question: v.optional(v.string()),
    response: v.optional(v.string()),
    context: v.optional(v.string()),
    chatHistory: v.optional(v.array(v.any())),
    clarificationCount: v.optional(v.number()),

    // Assignment
    assigneeId: v.optional(v.id("users")),
    tenantId: v.optional(v.string()),

    // Timestamps
    createdAt: v.number(),
    updatedAt: v.number(),
    resolvedAt: v.optional(v.number()),
  })
    .index("by_ticket", ["ticketId"])
    .index("by_project", ["projectId"])
    .index("by_state", ["state"])
    .index("by_tenant", ["tenantId"]),

  hitlMessages: defineTable({
    sessionId: v.id("hitlSessions"),
    role: hitlRole,
    content: v.string(),
    metadata: v.optional(v.any()),
    createdAt: v.number(),
  })
    .index("by_session", ["sessionId"])
    .index("by_session_time", ["sessionId", "createdAt"]),

  hitlEvents: defineTable({
    sessionId: v.id("hitlSessions"),
    eventType: v.string(),
    payload: v.optional(v.any()),
    createdAt: v.number(),
  })
    .index("by_session", ["sessionId"])
    .index("by_type", ["eventType"]),

  hitlApprovals: defineTable({
    sessionId: v.id("hitlSessions"),
    action: v.string(),
    context: v.optional(v.any()),
    status: v.union(
      v.literal("pending"),
      v.literal("approved"),
      v.literal("rejected"),
    ),
    approvedBy: v.optional(v.id("users")),
    ipAddress: v.optional(v.string()),
    createdAt: v.number(),
  })
    .index("by_session", ["sessionId"])
    .index("by_status", ["status"]),

  // ============================================
  // DESIGN SESSIONS
  // ============================================
  designSessions: defineTable({
    projectId: v.optional(v.id("projects")),
    name: v.optional(v.string()),
    state: v.optional(
      v.union(
        v.literal("draft"),
        v.literal("generating"),
        v.literal("complete"),
        v.literal("failed"),
      ),
    ),
    spec: v.optional(v.string()),
    ticketsGenerated: v.optional(v.number()),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_project", ["projectId"]),

  // ============================================
  // SECRETS
  // ============================================
  secrets: defineTable({
    type: v.string(),
    value: v.string(), // Should be encrypted in production
    description: v.optional(v.string()),
    tenantId: v.optional(v.string()),
    createdAt: v.number(),
  })
    .index("by_type", ["type"])
    .index("by_tenant", ["tenantId"])
    .index("by_type_tenant", ["type", "tenantId"]),

  // ============================================
  // VM TRACKING (New - leverages Convex real-time)
  // ============================================
  vms: defineTable({
    vmId: v.number(),
    namespace: v.string(),
    ip: v.string(),
    pid: v.optional(v.number()),
    state: vmState,
    assignedTicketId: v.optional(v.id("tickets")),
    lastHeartbeat: v.number(),
    metrics: v.optional(
      v.object({
        cpuPercent: v.optional(v.number()),
        memoryMb: v.optional(v.number()),
      }),
    ),
    createdAt: v.number(),
  })
    .index("by_state", ["state"])
    .index("by_ticket", ["assignedTicketId"])
    .index("by_vm_id", ["vmId"])
    .index("by_heartbeat", ["lastHeartbeat"]),

  // ============================================
  // AGENT WORKFLOWS (Durable execution)
  // ============================================
  workflows: defineTable({
    type: v.string(),
    ticketId: v.optional(v.id("tickets")),
    vmId: v.optional(v.id("vms")),
    state: v.union(
      v.literal("pending"),
      v.literal("running"),
      v.literal("completed"),
      v.literal("failed"),
      v.literal("cancelled"),
    ),
    currentStep: v.string(),
    steps: v.array(
      v.object({
        name: v.string(),
        status: v.string(),
        startedAt: v.optional(v.number()),
        completedAt: v.optional(v.number()),
        error: v.optional(v.string()),
        result: v.optional(v.any()),
      }),
    ),
    retryCount: v.optional(v.number()),
    maxRetries: v.optional(v.number()),
    createdAt: v.number(),
    updatedAt: v.number(),
  })
    .index("by_ticket", ["ticketId"])
    .index("by_state", ["state"]),
});
