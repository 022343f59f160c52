CREATE TABLE "pins" (
	"app" text NOT NULL,
	"deployment_id" integer NOT NULL,
	"pinned_by" text NOT NULL,
	"pinned_at" timestamp with time zone NOT NULL,
	CONSTRAINT "pins_app_deployment_id_pk" PRIMARY KEY("app","deployment_id")
);
