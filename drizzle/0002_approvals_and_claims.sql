CREATE TABLE "action_claims" (
	"key" text PRIMARY KEY NOT NULL,
	"claimed_by" text NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" serial PRIMARY KEY NOT NULL,
	"app" text NOT NULL,
	"kind" text NOT NULL,
	"deployment_id" integer,
	"target_id" integer,
	"baseline_id" integer,
	"requested_by" text NOT NULL,
	"channel" text NOT NULL,
	"message_ts" text,
	"status" text NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "approvals_app_status_idx" ON "approvals" USING btree ("app","status");