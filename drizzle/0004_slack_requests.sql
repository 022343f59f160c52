CREATE TABLE "slack_requests" (
	"digest" text PRIMARY KEY NOT NULL,
	"request_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "slack_requests_request_at_idx" ON "slack_requests" USING btree ("request_at");