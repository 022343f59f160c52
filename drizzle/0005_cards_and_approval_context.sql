CREATE TABLE "cards" (
	"nonce" text PRIMARY KEY NOT NULL,
	"app" text NOT NULL,
	"target_id" integer NOT NULL,
	"requested_by" text NOT NULL,
	"channel" text NOT NULL,
	"reason" text,
	"response_url" text,
	"facts" jsonb NOT NULL,
	"status" text NOT NULL,
	"shown_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"closed_by" text,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "plan" jsonb;--> statement-breakpoint
CREATE INDEX "cards_status_expires_idx" ON "cards" USING btree ("status","expires_at");