CREATE TABLE "app_locks" (
	"app" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"locked_by" text NOT NULL,
	"locked_at" timestamp with time zone NOT NULL,
	"deployment_id" integer
);
--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "registry_ref" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "env_snapshot" jsonb;