DROP INDEX "audit_events_app_at_idx";--> statement-breakpoint
DROP INDEX "audit_events_action_idx";--> statement-breakpoint
DROP INDEX "deployments_app_status_idx";--> statement-breakpoint
CREATE INDEX "approvals_status_expires_idx" ON "approvals" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "audit_events_app_id_idx" ON "audit_events" USING btree ("app","id");--> statement-breakpoint
CREATE INDEX "audit_events_app_action_id_idx" ON "audit_events" USING btree ("app","action","id");--> statement-breakpoint
CREATE INDEX "audit_events_action_id_idx" ON "audit_events" USING btree ("action","id");--> statement-breakpoint
CREATE INDEX "deployments_current_idx" ON "deployments" USING btree ("app","finished_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE "deployments"."status" = 'succeeded' and "deployments"."finished_at" is not null;--> statement-breakpoint
CREATE INDEX "deployments_succeeded_idx" ON "deployments" USING btree ("app","id") WHERE "deployments"."status" = 'succeeded';--> statement-breakpoint
CREATE INDEX "deployments_in_flight_idx" ON "deployments" USING btree ("app","id") WHERE "deployments"."status" in ('building', 'starting', 'switching', 'watching');